"""Screenshots of the first screen of every study's report, kept in docs/screens/ for the README.

    python docs/screenshots.py [--runs DIR] [--run] [--quick] [STUDY ...]

For each study (default: all), takes ``DIR/STUDY/report.html`` (DIR defaults to ``runs``, where
``pkgrel study STUDY`` writes), runs ``pkgrel study STUDY --out DIR/STUDY`` first when ``--run`` is
given and the report is missing, and saves ``docs/screens/STUDY.png``: the report opened in headless
Chromium (Debian package ``chromium``) in a 1280 x 900 window, what a reader sees before scrolling.
Not in the test suite: it needs Chromium and, with ``--run``, full study runs (on one worker of a
shared 2-core machine, 2026-12-03: compare_all 801 s, molded_joint 818 s, ppi_recess 1182 s,
cu_post 434 s, fanout_rdl 1152 s, edge_recess_rdl 1093 s).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studies.report import screen_png  # noqa: E402
from studies.sweep import STUDIES  # noqa: E402

SCREENS = ROOT / "docs" / "screens"
WINDOW = (1280, 900)            # a laptop browser window: the first screen of the report
#: Chromium as root in a sandbox with no network: no sandbox, no GPU, and none of its background
#: connections (each would be refused by this machine's closed network)
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars")


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        sys.exit("screenshots: chromium not found; install it with: apt-get install -y chromium")
    return path


def screenshot(report: Path, png: Path) -> None:
    """The first screen of ``report`` as ``png``, a palette PNG as the report embeds its figures."""
    with tempfile.TemporaryDirectory() as profile:
        shot = Path(profile) / "shot.png"
        subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}/user",
                        f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={shot}", report.resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
        png.write_bytes(screen_png(shot.read_bytes(), width=WINDOW[0]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("studies", nargs="*", default=list(STUDIES), help="studies (default: all)")
    parser.add_argument("--runs", default="runs", help="folder of the study outputs (default: runs)")
    parser.add_argument("--run", action="store_true", help="run a study whose report is missing")
    parser.add_argument("--quick", action="store_true", help="with --run: quick previews")
    args = parser.parse_args(argv)
    SCREENS.mkdir(parents=True, exist_ok=True)
    for name in args.studies:
        report = Path(args.runs) / name / "report.html"
        if not report.is_file():
            if not args.run:
                print(f"{name}: no {report} (run pkgrel study {name} --out {report.parent}, or pass --run)")
                continue
            subprocess.run([sys.executable, "-m", "studies.cli", "study", name, "--out", str(report.parent)]
                           + (["--quick"] if args.quick else []), check=True, cwd=ROOT)
        png = SCREENS / f"{name}.png"
        screenshot(report, png)
        print(f"{name}: {png.relative_to(ROOT)} ({png.stat().st_size // 1024} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
