//! Running `make` for a build: a clean environment, a time limit, and a
//! child that dies with archport.
//!
//! `make` runs in its own process group, so a time-out kills every
//! compiler it started; it also gets SIGTERM when archport dies (GNU make
//! passes it on to its jobs), so an interrupted archport leaves no build
//! running.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// What one `make` run printed and how it ended.
#[derive(Debug)]
pub struct MakeRun {
    /// stdout and stderr, interleaved as written.
    pub output: String,
    pub success: bool,
    pub timed_out: bool,
}

/// The variables of a Kbuild invocation.
pub struct MakeArgs<'a> {
    pub tree: &'a Path,
    pub obj: &'a Path,
    pub make_arch: &'a str,
    pub cross_compile: &'a str,
    /// `CC=` for the front end's wrapper.
    pub cc: Option<&'a Path>,
    pub jobs: usize,
}

/// Runs `make -C TREE O=OBJ ARCH=.. CROSS_COMPILE=.. [CC=..] -jN -k
/// GOALS`, killing it after `timeout`.
pub fn make(args: &MakeArgs, goals: &[&str], timeout: Duration) -> Result<MakeRun> {
    let mut cmd = Command::new("make");
    cmd.arg("-C").arg(args.tree).arg(format!("O={}", args.obj.display()));
    cmd.arg(format!("ARCH={}", args.make_arch)).arg(format!("CROSS_COMPILE={}", args.cross_compile));
    if let Some(cc) = args.cc {
        cmd.arg(format!("CC={}", cc.display()));
    }
    cmd.arg(format!("-j{}", args.jobs.max(1))).arg("-k").args(goals);
    // The user's make and Kbuild settings must not change the build; the
    // C locale keeps gcc's diagnostics in plain ASCII.
    for var in ["MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "GNUMAKEFLAGS", "ARCH", "CROSS_COMPILE", "O"] {
        cmd.env_remove(var);
    }
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("KBUILD_") || var.to_string_lossy().starts_with("KCONFIG_") {
            cmd.env_remove(var);
        }
    }
    // Kbuild unexports LC_ALL, so the locale's other variables decide
    // gcc's quotes too.
    for var in ["LC_ALL", "LANG", "LC_CTYPE", "LC_MESSAGES"] {
        cmd.env(var, "C");
    }
    run(cmd, timeout).with_context(|| format!("running make {} in {}", goals.join(" "), args.tree.display()))
}

fn run(mut cmd: Command, timeout: Duration) -> Result<MakeRun> {
    let (mut reader, writer) = std::io::pipe()?;
    cmd.stdin(Stdio::null()).stdout(writer.try_clone()?).stderr(writer);
    // SAFETY: setpgid and prctl are async-signal-safe and touch only the
    // child being started.
    unsafe {
        cmd.pre_exec(|| {
            libc::setpgid(0, 0);
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    let start = Instant::now();
    let mut child = cmd.spawn().context("starting make (Debian package: make)")?;
    // The command holds the pipe's write ends: drop them so reading ends
    // when make and its children are done.
    drop(cmd);
    let collector = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes);
        bytes
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > timeout {
            timed_out = true;
            // SAFETY: signals the process group make leads, which only
            // holds make and the jobs it started.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = collector.join().unwrap_or_default();
    Ok(MakeRun {
        output: String::from_utf8_lossy(&output).into_owned(),
        success: status.success() && !timed_out,
        timed_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_past_its_time_is_killed_with_its_children() {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg("sleep 30 & echo started; wait");
        let start = Instant::now();
        let r = run(cmd, Duration::from_millis(300)).unwrap();
        assert!(r.timed_out && !r.success);
        let seconds = start.elapsed().as_secs_f64();
        assert!(seconds < 10.0, "the pipe closed because the background sleep died too: {seconds}");
        assert_eq!(r.output, "started\n");
    }

    #[test]
    fn output_and_status_are_kept() {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg("echo out; echo err >&2; exit 3");
        let r = run(cmd, Duration::from_secs(10)).unwrap();
        assert!(!r.success && !r.timed_out);
        assert_eq!(r.output, "out\nerr\n");
    }
}
