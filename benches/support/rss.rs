//! Peak resident memory of a child process, for the benchmarks (shared by `pipeline` and
//! `google`).

/// Wait for `child` to end, sampling its peak resident set (`VmHWM`) every 20 ms; returns
/// whether it succeeded and the peak in KiB.
pub fn wait_with_peak(mut child: std::process::Child) -> (bool, u64) {
    let pid = child.id();
    let mut peak = 0;
    loop {
        if let Some(k) = peak_kib(pid) {
            peak = peak.max(k);
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (child.wait().unwrap().success(), peak)
}

fn peak_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
