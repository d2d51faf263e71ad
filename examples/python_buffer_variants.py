"""Two cash-buffer variants of the example fund on common random numbers: coverage against the
carry (the return given up by holding cash). Plots with matplotlib when it is installed,
otherwise prints the table.

    pip install ./python            # or: cd python && maturin develop --release
    python examples/python_buffer_variants.py
"""

import undertow

SCENARIOS = 5_000
SEED = 1

fund = undertow.example_fund()
variants = {f"cash {c:.0%}": fund.replace(cash=c) for c in (0.04, 0.12)}
table = undertow.sweep(variants, scenarios=SCENARIOS, seed=SEED)
frame = table.to_pandas()

# Covered: no buffer exhaustion, no shortfall, no gate (host::aggregate::covered; -1 = never).
frame["covered"] = (
    (frame["buffer_exhausted_day"] == -1.0) & (frame["shortfall"] <= 0.0) & (frame["gate_days"] == 0.0)
)
# Carry of the buffer: the expected annual return given up on the cash, in bps of NAV
# (`[fund] expected_return` times the cash share).
rows = []
for name, f in variants.items():
    text = f.to_toml()
    er = next(
        float(line.split("=")[1].split("#")[0])
        for line in text.splitlines()
        if line.strip().startswith("expected_return")
    )
    cov = frame.loc[frame["variant"] == name, "covered"].mean()
    rows.append((name, f.cash, er * f.cash * 1e4, cov))

print(f"{'variant':<10} {'cash':>6} {'carry bps/yr':>13} {'coverage':>9}")
for name, cash, carry, cov in rows:
    print(f"{name:<10} {cash:>6.1%} {carry:>13.1f} {cov:>9.1%}")

try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
if plt is not None:
    fig, ax = plt.subplots()
    ax.plot([r[2] for r in rows], [r[3] * 100 for r in rows], marker="o")
    for name, _, carry, cov in rows:
        ax.annotate(name, (carry, cov * 100))
    ax.set_xlabel("carry of the cash buffer (bps of NAV per year)")
    ax.set_ylabel("coverage under stress (%)")
    ax.set_title(f"{fund.name}: {SCENARIOS} stress scenarios, seed {SEED}")
    fig.savefig("python_buffer_variants.png", dpi=120)
    print("wrote python_buffer_variants.png")
