//! The `nitrocert` binary: a thin shell over the library's `cli` module.

// A run allocates and frees many small JSON values and frames on two threads; glibc's malloc
// spent about a tenth of certify's CPU time on it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(nitrocert::cli::main());
}
