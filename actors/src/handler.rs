//! Handler pools: where user handlers run, supervised.
//!
//! Each synapse has a [`PoolQueue`] (bounded, ordered by the handler's priority, shedding the
//! lowest priority with 503 when full) and a `HandlerPool` actor supervising N worker actors
//! that pull jobs from it. A job whose deadline passed while queued is answered 408 without
//! running; a running job is cancelled at its deadline (408). A panicking handler answers its
//! request with 500 at once; then its worker fails, the pool logs it and restarts the worker
//! under its restart policy, and the next request is served.
//!
//! Connection tasks submit to the queue directly (no mailbox round trip on the hot path);
//! the actors own only the workers' lifecycle. A unary request whose worker would start it at
//! once (one is idle, none waits ahead) is started where it was read (its lane's reader or its
//! stream's task), in that worker's turn, and answered there if its handler finishes without
//! waiting (see `inline`).

mod inline;
pub(crate) mod pool;
pub(crate) mod queue;
pub(crate) mod worker;

pub(crate) use pool::{HandlerPool, PoolArgs};
pub(crate) use worker::{Deliver, Job, JobReply, PoolQueue, Reply};
