//! Aborts on any single allocation over [`MAX_ALLOCATION`], the fuzzing stand-in for
//! libFuzzer's `-malloc_limit_mb`, which only works under a sanitizer (its malloc hooks come
//! from the sanitizer runtime) while scripts/fuzz builds without one. The abort is a crash to
//! libFuzzer, which saves the input; the backtrace printed first shows who allocated.
//!
//! The one `unsafe` of the fuzz crate: `GlobalAlloc` is an unsafe trait. Each method only
//! forwards to the system allocator after a size check.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write as _;

/// Largest allocation any input may cause. The framework's largest limit is a 32 MiB
/// response body, and fuzz inputs are a few KiB, so anything above this is unbounded.
pub const MAX_ALLOCATION: usize = 64 << 20;

struct Guarded;

#[global_allocator]
static ALLOCATOR: Guarded = Guarded;

fn check(size: usize) {
    if size > MAX_ALLOCATION {
        let _ = writeln!(
            std::io::stderr(),
            "==axonite-fuzz== single allocation of {size} bytes (limit {MAX_ALLOCATION}):\n{}",
            std::backtrace::Backtrace::force_capture()
        );
        std::process::abort();
    }
}

// SAFETY: every method forwards unchanged arguments to `System`, which upholds the
// `GlobalAlloc` contract; the size check allocates nothing before it aborts or forwards.
unsafe impl GlobalAlloc for Guarded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: same layout as our caller passed, under the same contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        // SAFETY: `ptr` and `layout` come from our caller, who got them from this allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}
