/// Chooses, per question, the on-prem small model or the larger in-network model.
///
/// The small model answers by default: it is fast and cheap. The larger model gets the
/// questions the small one is likely to get wrong: low retrieval confidence, and questions
/// that are multi-part, comparative or analytical. A small answer that fails citation
/// verification is escalated too (see `Assistant`). Every decision carries its reason.
public struct RoutingPolicy: Sendable, Equatable, Codable {
    /// Below this retrieval confidence (best cosine similarity of a source to the question),
    /// the documents are taken not to answer the question at all.
    public var notFoundBelow: Double
    /// Below this confidence, a larger model (if configured) answers instead of the small one.
    public var escalateBelow: Double
    /// Send multi-part, comparative and analytical questions to the larger model.
    public var escalateComplexQuestions: Bool
    /// Ask the larger model when the small model's answer fails verification.
    public var escalateOnFailedVerification: Bool

    public init(notFoundBelow: Double = 0.30, escalateBelow: Double = 0.45, escalateComplexQuestions: Bool = true,
                escalateOnFailedVerification: Bool = true) {
        self.notFoundBelow = notFoundBelow
        self.escalateBelow = escalateBelow
        self.escalateComplexQuestions = escalateComplexQuestions
        self.escalateOnFailedVerification = escalateOnFailedVerification
    }
}

public struct Router: Sendable {
    public var policy: RoutingPolicy
    public let smallModel: String
    /// The larger model's name, or nil when none is configured.
    public let largeModel: String?

    public init(policy: RoutingPolicy, smallModel: String, largeModel: String?) {
        self.policy = policy
        self.smallModel = smallModel
        self.largeModel = largeModel
    }

    /// The model for a question whose best source has similarity `confidence`.
    public func decide(question: String, confidence: Double) -> RouteDecision {
        let complexity = QuestionComplexity.assess(question)
        let lowConfidence = confidence < policy.escalateBelow
        let wantsLarge = lowConfidence || (policy.escalateComplexQuestions && complexity != nil)
        let why = lowConfidence
            ? "retrieval confidence \(format(confidence)) is below \(format(policy.escalateBelow))"
            : complexity.map { "the question is \($0)" } ?? ""
        guard wantsLarge else {
            return RouteDecision(
                target: .small, model: smallModel,
                reason: "retrieval confidence \(format(confidence)) and a simple question: the small model answers")
        }
        guard let largeModel else {
            return RouteDecision(
                target: .small, model: smallModel,
                reason: "\(why), but no larger model is configured: the small model answers, verified")
        }
        return RouteDecision(target: .large, model: largeModel, reason: why)
    }

    /// `decision` (for the larger model) turned to the small model because sources `numbers`
    /// are kept on-prem by their source's policy.
    public func keepingOnPrem(_ decision: RouteDecision, sources numbers: [Int]) -> RouteDecision {
        RouteDecision(target: .small, model: smallModel,
                      reason: decision.reason + "; " + Self.keptOnPremReason(numbers) + ", so the small model answers")
    }

    static func keptOnPremReason(_ numbers: [Int]) -> String {
        (numbers.count == 1 ? "source " : "sources ") + numbers.map { "[\($0)]" }.joined(separator: " ")
            + (numbers.count == 1 ? " is" : " are") + " kept on-prem"
    }

    /// The decision after the small model's answer failed verification.
    public func escalation(after verification: Verification) -> RouteDecision? {
        guard policy.escalateOnFailedVerification, let largeModel else { return nil }
        return RouteDecision(
            target: .large, model: largeModel,
            reason: "the small model's answer failed verification (\(verification.reason))")
    }

    private func format(_ x: Double) -> String { String(format: "%.2f", x) }
}

/// Recognises questions a small model handles badly.
public enum QuestionComplexity {
    /// A phrase describing why the question is complex, or nil for a simple question.
    public static func assess(_ question: String) -> String? {
        let q = " " + question.lowercased() + " "
        if question.filter({ $0 == "?" }).count > 1 { return "multi-part (several questions)" }
        for marker in [" compare ", " comparison ", " difference between ", " differences between ", " versus ",
                       " vs ", " vs. ", " pros and cons ", " better than ", " trade-off", " tradeoff"] where q.contains(marker) {
            return "comparative"
        }
        for marker in [" why ", " explain ", " analy", " evaluate ", " implications ", " what would happen ",
                       " how would ", " justify ", " assess "] where q.contains(marker) {
            return "analytical"
        }
        let words = q.split(separator: " ").count
        if words > 30 { return "long (\(words) words)" }
        if q.contains(" and ") && (q.contains(" how ") || q.contains(" what ")) && words > 14
            && q.components(separatedBy: " and ").count > 2 {
            return "multi-part"
        }
        return nil
    }
}
