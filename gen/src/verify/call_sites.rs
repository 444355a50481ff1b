//! Checking the call sites a port changes with the model: a function's
//! kmap_local calls become a task script (map, access, unmap, a user copy
//! that may fault and sleep, return to user space), which the model runs
//! against the arch's hooks. A function that returns with a mapping still
//! live, or unmaps what it never mapped, is refuted with a trace.

use archport_generic::model::{self, Bounds, Case, Contract, Op, PortSpec, Script};

use crate::edit::c;

fn is_map(call: &str) -> bool {
    matches!(call, "kmap_local_page" | "kmap_local_pfn" | "kmap_local_page_prot" | "kmap_atomic" | "kmap_atomic_pfn")
}

fn is_unmap(call: &str) -> bool {
    matches!(call, "kunmap_local" | "kunmap_atomic")
}

fn is_user_copy(call: &str) -> bool {
    matches!(call, "copy_to_user" | "copy_from_user")
}

/// The functions of a file that use temporary mappings, with the script
/// their calls make (in source order).
pub fn scripts(text: &[u8]) -> Vec<(String, Vec<Op>)> {
    c::calls_by_function(text)
        .into_iter()
        .filter(|(_, calls)| calls.iter().any(|c| is_map(c) || is_unmap(c)))
        .map(|(name, calls)| {
            let mut ops = Vec::new();
            let mut live = 0u32;
            for call in &calls {
                if is_map(call) {
                    ops.push(Op::Map(live.min(1)));
                    ops.push(Op::Read);
                    live += 1;
                } else if is_unmap(call) && live > 0 {
                    ops.push(Op::Unmap);
                    live -= 1;
                } else if is_user_copy(call) && live > 0 {
                    ops.push(Op::Fault);
                }
            }
            ops.push(Op::ReturnToUser);
            (name, ops)
        })
        .collect()
}

/// The model's verdict on one function's script with `port`'s hooks:
/// `None` when it holds, else the broken property and the trace.
pub fn refute(port: &PortSpec, ops: &[Op]) -> Result<Option<(String, String)>, String> {
    let mut case = Case::standard(&Bounds::standard());
    case.scenario.tasks = vec![Script { name: "A".into(), cpu: 0, ops: ops.to_vec() }];
    match model::check(port, &Contract::linux_5_10(), &case).map_err(|e| e.to_string())? {
        model::Verdict::Proved { .. } => Ok(None),
        model::Verdict::Counterexample { property, trace, .. } => Ok(Some((property.to_string(), trace.to_string()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEAK: &str = "\
ssize_t copy_oldmem_page(unsigned long pfn, char *buf, int userbuf)
{
\tvoid *vaddr = kmap_local_pfn(pfn);
\tif (!userbuf)
\t\tmemcpy(buf, vaddr, 1);
\telse if (copy_to_user(buf, vaddr, 1))
\t\treturn -EFAULT;
\treturn 1;
}
";

    #[test]
    fn a_function_becomes_a_script() {
        let s = scripts(LEAK.as_bytes());
        assert_eq!(s, vec![("copy_oldmem_page".to_string(), vec![Op::Map(0), Op::Read, Op::Fault, Op::ReturnToUser])]);
        let fixed = LEAK.replace("\treturn 1;", "\tkunmap_local(vaddr);\n\treturn 1;");
        assert_eq!(scripts(fixed.as_bytes())[0].1, vec![Op::Map(0), Op::Read, Op::Fault, Op::Unmap, Op::ReturnToUser]);
    }
}
