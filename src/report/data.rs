//! The run's data now lives in [`crate::verdict`] (below the runner); these names stay for
//! code that reaches it through the report.

pub use crate::verdict::{
    CaseReport, Class, Direction, Finding, RunReport, StepReport, Summary, WireLine,
};
