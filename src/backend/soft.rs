//! Portable implementations shared by every architecture.
