//! Collectives as extension traits on every rsmpi communicator: ndarray buffers, reductions,
//! serde objects, transfers of any size, and handles for non-blocking calls.

pub(crate) mod address;
pub(crate) mod array;
pub(crate) mod array_p2p;
pub(crate) mod buffer;
pub(crate) mod codec;
pub(crate) mod element;
pub(crate) mod exchange;
pub(crate) mod immediate;
pub(crate) mod immediate_start;
pub(crate) mod in_place;
pub(crate) mod in_place_ops;
pub(crate) mod large;
pub(crate) mod message;
pub(crate) mod object;
pub(crate) mod object_messages;
pub(crate) mod op;
pub(crate) mod p2p;
pub(crate) mod pending;
pub(crate) mod plans;
pub(crate) mod private;
pub(crate) mod receiving;
pub(crate) mod reduce;
pub(crate) mod reduce_ops;
pub(crate) mod request_set;
pub(crate) mod scratch;
pub(crate) mod shape;
pub(crate) mod started;
pub(crate) mod tree;
pub(crate) mod unsigned_order;
