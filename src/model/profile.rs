//! The two behaviours the model can take: Clearnode v0.5.2 bug for bug, or the protocol as it
//! should be (SPEC.md), which rejects what would create, destroy or strand funds.

/// Chosen once per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// `clearnode-0.5.2`: every AS-* rule and quirk that changes a result.
    Clearnode052,
    /// `spec`: Clearnode where it is sound, plus the SPEC-* rejections.
    Spec,
}

impl Profile {
    pub const ALL: [Profile; 2] = [Profile::Clearnode052, Profile::Spec];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Clearnode052 => "clearnode-0.5.2",
            Profile::Spec => "spec",
        }
    }

    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }

    pub fn is_spec(self) -> bool {
        self == Profile::Spec
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
