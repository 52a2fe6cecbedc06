/// The header's navigation for a signed-in user: the pages their role may open and the
/// sign-out form.
struct Navigation {
    struct Link {
        let href: String
        let label: String
    }

    let links: [Link]
    /// The user's name, on the sign-out button.
    let name: String
    let csrf: String?

    init(_ identity: Identity) {
        var links = [Link(href: "/", label: "Ask"), Link(href: "/history", label: "My history")]
        if identity.role == .admin {
            links.append(Link(href: "/admin", label: "Admin"))
            links.append(Link(href: "/admin/analytics", label: "Analytics"))
        }
        if identity.role == .auditor { links.append(Link(href: "/audit", label: "Audit")) }
        self.links = links
        self.name = identity.name
        self.csrf = identity.csrfToken
    }
}
