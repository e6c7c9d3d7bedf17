//! NitroRPC frames: `{"req":[id, method, params, ts], "sig":[…]}` from clients and
//! `{"res":[…], "sig":[…]}` from brokers, always keeping the exact bytes of the array, because
//! every signature covers those bytes and nothing else (SIG-2, RSIG-1).

pub mod frame;
pub mod inbound;
pub mod js;
pub mod members;
pub mod request;

pub use frame::{parse_frame, Frame, FrameKind, WireError};
pub use request::{encode_req, encode_req_js, encode_signed, sign_req};

/// Request id 0 is reserved for notifications (WIRE-9, NOTIF-1).
pub const NOTIFICATION_ID: u64 = 0;
