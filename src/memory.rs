//! The process's memory: returning what a one-off build freed to the system.

/// Hands the heap's free memory back to the system. Building the tagger's automaton goes
/// through tens of megabytes of intermediate tables that are freed at once; without this, glibc
/// keeps them mapped and the collector's resident size stays at its start-up peak.
pub fn return_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}
