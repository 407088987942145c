//! x86-64 kernels, each in a leaf module compiled with `#[target_feature]` and reached only after
//! run-time detection.
