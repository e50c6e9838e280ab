"""Design studies, sweeps, reports and the `pkgrel` command line."""
