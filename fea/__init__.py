"""Finite-element core of pkgrel: meshes in, weak forms, solvers, stress recovery, export."""
