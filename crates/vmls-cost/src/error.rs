//! Why a cost run failed (every failure is a bug in the run or in the code it measures).
use core::fmt;

use vmls_emulation::EmulatorError;
use vmls_group::group::GroupError;

/// A failed cost run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CostError {
    /// The group engine refused an operation.
    Group(GroupError),
    /// The emulation layer refused an operation.
    Emulator(EmulatorError),
    /// The Delivery Service refused a message.
    Ds(vmls_ds::DsError),
    /// Parameters out of range.
    Params(&'static str),
    /// The run did not go as the scenario expects (what was missing).
    Scenario(&'static str),
}

impl fmt::Display for CostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Group(e) => write!(f, "group engine: {e:?}"),
            Self::Emulator(e) => write!(f, "emulation layer: {e:?}"),
            Self::Ds(e) => write!(f, "delivery service: {e:?}"),
            Self::Params(p) => write!(f, "bad parameters: {p}"),
            Self::Scenario(s) => write!(f, "scenario: {s}"),
        }
    }
}

impl std::error::Error for CostError {}

impl From<GroupError> for CostError {
    fn from(e: GroupError) -> Self {
        Self::Group(e)
    }
}
impl From<EmulatorError> for CostError {
    fn from(e: EmulatorError) -> Self {
        Self::Emulator(e)
    }
}
impl From<vmls_ds::DsError> for CostError {
    fn from(e: vmls_ds::DsError) -> Self {
        Self::Ds(e)
    }
}
