//! Running a Perl script of the kernel tree (`scripts/get_maintainer.pl`,
//! `scripts/checkpatch.pl`): code from the tree running as the user, so
//! only when the user asks for it, and held on a short leash.
//!
//! The script runs with perl, from the tree, on a copy of its input in a
//! temporary folder (nothing is written into the tree), with stdin
//! closed, `HOME` set to that folder (so no `~/.get_maintainer.conf` or
//! `~/.checkpatch.conf` changes the answer), in a process group of its
//! own. The group is killed when the script exits (whatever it left
//! running), when it outlives its timeout, and when archport gets
//! SIGINT, SIGTERM or SIGHUP meanwhile (archport then dies of that
//! signal, as it would have); the temporary folder is removed in every
//! case. A process that leaves the group (`setsid`) escapes this: only a
//! sandbox stops that.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// What a script printed, and how it ended.
#[derive(Debug)]
pub struct ScriptOutput {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs `perl SCRIPT ARGS INPUT` in `tree`, where INPUT is a temporary
/// file holding `input`; stopped after `timeout`.
pub fn run_perl(tree: &Path, script: &str, args: &[&str], input: &[u8], timeout: Duration) -> Result<ScriptOutput> {
    if !tree.join(script).is_file() {
        bail!("{} has no {script}", tree.display());
    }
    // Declared before the folder so that the folder is gone before an
    // interrupted archport dies of its signal.
    let _signals = SignalGuard::install();
    let dir = tempfile::Builder::new().prefix("archport-script-").tempdir().context("making a temporary folder")?;
    let file = dir.path().join("input");
    std::fs::write(&file, input).with_context(|| format!("writing {}", file.display()))?;
    let (stdout, stderr) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut cmd = Command::new("perl");
    cmd.arg(script)
        .args(args)
        .arg(&file)
        .current_dir(tree)
        .env("HOME", dir.path())
        .stdin(Stdio::null())
        .stdout(File::create(&stdout)?)
        .stderr(File::create(&stderr)?);
    let status = run_within(cmd, timeout).with_context(|| format!("{script} in {}", tree.display()))?;
    let read = |p: &Path| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    Ok(ScriptOutput { status, stdout: read(&stdout)?, stderr: read(&stderr)? })
}

/// Runs `cmd` in a process group of its own and waits for it at most
/// `timeout`; on a timeout or a signal to archport, kills the group.
fn run_within(mut cmd: Command, timeout: Duration) -> Result<ExitStatus> {
    use std::os::unix::process::CommandExt;
    let child = cmd.process_group(0).spawn().context("running perl (is perl installed?)")?;
    let mut group = Group { child, reaped: false };
    let deadline = Instant::now() + timeout;
    loop {
        if group.exited() {
            // Take down whatever the script left running before reaping
            // it: the zombie keeps the group's id from being reused.
            group.kill();
            return group.reap();
        }
        let signal = PENDING.load(Ordering::SeqCst);
        if signal != 0 {
            group.kill();
            group.reap()?;
            bail!("archport was interrupted (signal {signal}); the script was stopped");
        }
        if Instant::now() >= deadline {
            group.kill();
            group.reap()?;
            bail!(
                "did not finish within {} s and was stopped, with everything it started; give it more time",
                timeout.as_secs_f64()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The script's process and its group (same id); killed if dropped
/// unreaped, so an error or a panic leaves nothing running.
struct Group {
    child: Child,
    reaped: bool,
}

impl Group {
    /// Whether the leader has exited, leaving it waitable.
    fn exited(&self) -> bool {
        // SAFETY: siginfo_t is plain data, valid all zeroes.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid siginfo_t; WNOWAIT leaves the child to reap.
        let r = unsafe {
            libc::waitid(libc::P_PID, self.child.id(), &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT)
        };
        if r != 0 {
            // ECHILD: already reaped (SIGCHLD ignored); `reap` reports it.
            return std::io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD);
        }
        // SAFETY: waitid filled `info` (or left it zeroed: si_pid 0).
        let pid = unsafe { info.si_pid() };
        pid != 0
    }

    fn kill(&self) {
        // SAFETY: plain syscall; the group id is the unreaped leader's pid.
        unsafe { libc::kill(-(self.child.id() as libc::pid_t), libc::SIGKILL) };
    }

    fn reap(&mut self) -> Result<ExitStatus> {
        let status = self.child.wait().context("waiting for perl")?;
        self.reaped = true;
        Ok(status)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill();
            let _ = self.child.wait();
        }
    }
}

/// The signal archport got while a script ran (0: none).
static PENDING: AtomicI32 = AtomicI32::new(0);

extern "C" fn note_signal(signal: libc::c_int) {
    PENDING.store(signal, Ordering::SeqCst);
}

/// The signals that would end archport: noted while scripts run.
const STOP_SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// The handlers archport had before the first running script, and how
/// many scripts run (tests run several at once).
static SAVED: Mutex<(usize, Vec<(libc::c_int, libc::sigaction)>)> = Mutex::new((0, Vec::new()));

/// Notes the stop signals while it lives; the last one dropped puts the
/// old handlers back and, if a signal came, raises it again.
struct SignalGuard;

impl SignalGuard {
    fn install() -> SignalGuard {
        let mut saved = SAVED.lock().unwrap_or_else(|e| e.into_inner());
        if saved.0 == 0 {
            for signal in STOP_SIGNALS {
                // SAFETY: sigaction with valid pointers; the handler only
                // stores to an atomic, which is async-signal-safe.
                unsafe {
                    let mut old: libc::sigaction = std::mem::zeroed();
                    libc::sigaction(signal, std::ptr::null(), &mut old);
                    if old.sa_sigaction == libc::SIG_IGN {
                        continue; // nohup and the like: stay ignored.
                    }
                    let mut new: libc::sigaction = std::mem::zeroed();
                    new.sa_sigaction = note_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                    libc::sigemptyset(&mut new.sa_mask);
                    libc::sigaction(signal, &new, std::ptr::null_mut());
                    saved.1.push((signal, old));
                }
            }
        }
        saved.0 += 1;
        SignalGuard
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        let mut saved = SAVED.lock().unwrap_or_else(|e| e.into_inner());
        saved.0 -= 1;
        if saved.0 > 0 {
            return;
        }
        for (signal, old) in saved.1.drain(..) {
            // SAFETY: puts back the handler sigaction gave us.
            unsafe { libc::sigaction(signal, &old, std::ptr::null_mut()) };
        }
        let signal = PENDING.swap(0, Ordering::SeqCst);
        if signal != 0 {
            drop(saved);
            // SAFETY: raising a signal at ourselves, old handler in place.
            unsafe { libc::raise(signal) };
        }
    }
}
