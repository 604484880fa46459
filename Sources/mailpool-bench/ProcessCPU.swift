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
