/// The templates in `Resources/templates`, one case per file, so a page names its template
/// with a type and ``Views`` loads every file there is (a file missing from this list, or
/// from Package.swift's resources, fails to compile here).
enum Template: String, CaseIterable {
    case layout, csrf, alert, error, login, setup
    case ask, answer, evidence, sources, feedback, history, turn
    case admin, documents, analytics
    case analyticsChart = "analytics_chart"
    case audit
    case auditRecord = "audit_record"

    /// The file's bytes, compiled in by SwiftPM's `embedInCode`.
    var bytes: [UInt8] {
        switch self {
        case .layout: PackageResources.layout_mustache
        case .csrf: PackageResources.csrf_mustache
        case .alert: PackageResources.alert_mustache
        case .error: PackageResources.error_mustache
        case .login: PackageResources.login_mustache
        case .setup: PackageResources.setup_mustache
        case .ask: PackageResources.ask_mustache
        case .answer: PackageResources.answer_mustache
        case .evidence: PackageResources.evidence_mustache
        case .sources: PackageResources.sources_mustache
        case .feedback: PackageResources.feedback_mustache
        case .history: PackageResources.history_mustache
        case .turn: PackageResources.turn_mustache
        case .admin: PackageResources.admin_mustache
        case .documents: PackageResources.documents_mustache
        case .analytics: PackageResources.analytics_mustache
        case .analyticsChart: PackageResources.analytics_chart_mustache
        case .audit: PackageResources.audit_mustache
        case .auditRecord: PackageResources.audit_record_mustache
        }
    }
}
