# %% [markdown]
# # Analysing a batch in a notebook
#
# A percent-format script: open it in Jupyter (jupytext) or VS Code as a notebook, or run it
# whole with `python analysis/notebook.py [RUN_DIR]`. Without RUN_DIR it first makes a small
# batch of the `amazon-openai` scenario (2 x 2 settings, 6 seeds, 36 months, root seed 2026)
# in a temporary folder. `tests/test_notebook.py` runs it.

# %%
import sys
import tempfile
from pathlib import Path

from aimarket import analysis as an
from aimarket import batch
from aimarket.scenario import load_scenario

if len(sys.argv) > 1:
    run_dir = Path(sys.argv[1])
else:
    run_dir = Path(tempfile.mkdtemp()) / "ao"
    scenario = load_scenario("amazon-openai")
    sweeps = {"events.AMZN-OAI.amount_bn": [5.0, 10.0], "market.demand_growth_per_year": [3.0, 8.0]}
    design = batch.plan_design(scenario, sweeps=sweeps, root_seed=2026)
    batch.run_batch(
        scenario,
        run_dir,
        design=design,
        replications=6,
        root_seed=2026,
        ticks=36,
        executor="serial",
    )

# %% [markdown]
# ## Load the run store and label each run by its setting

# %%
run = an.load_run(run_dir)
keys = an.swept_keys(run.manifest, run.outcomes)
settings = an.setting_labels(run.outcomes, an.default_by(run, keys))
print(f"{len(run.outcomes)} runs, swept: {keys}")

# %% [markdown]
# ## Probabilities with 95 % Wilson intervals
# `breakdown`: an exclusive or right-of-first-refusal clause broke down before the horizon;
# `monopoly_like`: some layer's top bloc held a monopoly-like share (see the report's header).

# %%
probabilities = an.event_probabilities(run.outcomes, settings)
print(probabilities.to_string(index=False))

# %% [markdown]
# ## Outcome summaries (mean with 95 % CI, median, 5-95 %)

# %%
summary = an.outcome_summary(run.outcomes, settings)
print(summary.head(8).to_string(index=False))

# %% [markdown]
# ## Time to the first breakdown (Kaplan-Meier)

# %%
curves, medians = an.survival_by(an.breakdown_durations(run.outcomes), settings)
print(medians.to_string(index=False))
survival_figure = an.plot_survival(curves)  # a matplotlib Figure: shown inline in a notebook

# %% [markdown]
# ## Phase table over the two swept parameters

# %%
flags = an.event_flags(run.outcomes)
phase = an.phase_table(run.outcomes, keys[1], keys[0], flags["breakdown"])
print(phase.to_string(index=False))
phase_figure = an.plot_phase(phase, keys[1], keys[0], "breakdown")

# %% [markdown]
# ## Paired effect of faster demand growth (runs paired by seed)

# %%
a, b = an.split_setting(run.outcomes, keys[1], 3.0, 8.0)
effect = an.compare(a, b, keys=keys)
print(effect.attrs["pairing"])
print(effect[["outcome", "diff", "lo", "hi", "test", "p_value"]].head(6).to_string(index=False))
