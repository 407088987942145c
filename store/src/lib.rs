//! File store for the state of the prose-sec roles (placeholder; being written).
