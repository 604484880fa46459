import Foundation

/// The path of `relative` (`deploy/monitoring/alerts.yml`) in this repository, for tests that check
/// the files the project ships.
func repositoryPath(_ relative: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../\(relative)").standardized.path
}
