import Foundation

/// CPU time (user + system) a process has used so far, from `/proc/<pid>/stat`; `pid` nil means this process.
func cpuSeconds(of pid: Int32? = nil) -> Double {
    let path = "/proc/\(pid.map(String.init) ?? "self")/stat"
    guard let stat = try? String(contentsOfFile: path, encoding: .utf8), let end = stat.lastIndex(of: ")") else { return 0 }
    // After the parenthesised command name: state is field 3, utime field 14, stime field 15.
    let fields = stat[stat.index(after: end)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Seconds every core of this machine has spent idle (idle and waiting for I/O) so far, from the
/// first line of `/proc/stat`: compared over a run, how far the work left the cores unused.
func machineIdleSeconds() -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8), let line = stat.split(separator: "\n").first else { return 0 }
    // cpu user nice system idle iowait …
    let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    guard fields.count > 4 else { return 0 }
    return (fields[3] + fields[4]) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
