"""mesh.png: regions coloured by role, mesh edges drawn thin, and a panel zoomed on the joint."""
from __future__ import annotations

# one colour per role, so every structure's picture reads the same way
ROLE_COLOURS = {
    "substrate": "#9e9e9e", "second_substrate": "#bdbdbd", "board": "#7cb342", "carrier": "#a1887f",
    "passivation": "#4dd0e1", "polymer": "#ffcc80", "second_polymer": "#ffb74d", "mold": "#80cbc4",
    "ppi": "#e65100", "pad": "#8d6e63", "land": "#f48fb1", "board_pad": "#f48fb1", "post": "#d84315",
    "ubm": "#6d4c41", "finish": "#fdd835", "solder": "#9fa8da", "rdl": "#ef6c00", "glue": "#ce93d8",
    "chip": "#9e9e9e", "bump": "#bf360c", "insulator": "#fff59d", "solder_mask": "#66bb6a",
    "oxide": "#00838f", "metal": "#8d6e63", "support": "#b39ddb",
    # the board beyond a bend fixture's load line (geometry.board_bend)
    "board_arm": "#9ccc65", "second_substrate_arm": "#d6d6d6",
}
_FALLBACK = ["#26a69a", "#ab47bc", "#5c6bc0", "#ec407a", "#8bc34a", "#ffa726"]


def colour(region: str, k: int = 0) -> str:
    return ROLE_COLOURS.get(region, _FALLBACK[k % len(_FALLBACK)])


def plot_mesh(model, path) -> None:
    """Draw a built model (`fea.model.Model` with its builder's ``geometry``) to ``path`` (a
    file name or a binary file object), PNG."""
    mesh_figure(model).savefig(path, dpi=DPI, format="png")


#: mesh.png resolution: 1820 px wide, so the thin mesh edges of the detail panel stay distinct
DPI = 130


def mesh_figure(model):
    """The mesh picture of a built model as a matplotlib Figure: the whole slice with the detail
    window in red and, beside it, the detail window; regions by role, legend below."""
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    from fea.mesh import element_nodes

    mesh, info = model.mesh, model.geometry
    xy = mesh.mesh.doflocs.T
    nodes = element_nodes(mesh.mesh)
    order = [0, 3, 1, 4, 2, 5]   # corner, mid, corner, ... so curved edges are drawn through mid-nodes
    # compressed: constrained layout for fixed-aspect (equal) axes, so titles stay on the canvas
    fig = Figure(figsize=(14 if info.zoom else 8, 6), layout="compressed")
    axes = fig.subplots(1, 2 if info.zoom else 1, squeeze=False)
    handles = []
    for ax in axes[0]:
        for k, (region, elements) in enumerate(mesh.regions.items()):
            polys = xy[nodes[order][:, elements].T]
            ax.add_collection(PolyCollection(polys, facecolors=colour(region, k), edgecolors="k",
                                             linewidths=0.08))
            if ax is axes[0][0]:
                handles.append(Patch(facecolor=colour(region, k), edgecolor="k",
                                     label=f"{region} ({model.materials[region].name})"))
        ax.set_aspect("equal")
        ax.set_xlabel("r [um]" if model.analysis == "axisymmetric" else "x [um]")
        ax.set_ylabel("z [um]" if model.analysis == "axisymmetric" else "y [um]")
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    pad = 0.02 * (hi - lo)
    axes[0][0].set_xlim(lo[0] - pad[0], hi[0] + pad[0])
    axes[0][0].set_ylim(lo[1] - pad[1], hi[1] + pad[1])
    axes[0][0].set_title(f"{info.structure} ({info.level}, {model.analysis}): "
                         f"{mesh.n_elements} quadratic triangles")
    if info.zoom:
        x0, x1, y0, y1 = info.zoom
        axes[0][1].set_xlim(x0, x1)
        axes[0][1].set_ylim(y0, y1)
        axes[0][1].set_title("detail")
        axes[0][0].add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="red", lw=1))
    # as many legend columns as the longest entry allows across the 14 in figure (9 pt text)
    longest = max(len(h.get_label()) for h in handles)
    fig.legend(handles=handles, loc="outside lower center", fontsize=9, frameon=False,
               ncols=max(1, min(len(handles), 6, 150 // (longest + 6))))
    return fig
