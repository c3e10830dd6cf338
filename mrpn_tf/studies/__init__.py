"""Experiments that put the paper's claims to a test and write their evidence under results/.

  interference.py   cross-modal interference, made controllable (paper sections 2, 4.4-4.5):
                    N0, N1, N2 on a demo set where one modality is fuzzy for some actors
  ravdess_audio.py  the audio baseline AM on real RAVDESS speech next to the paper's Table 1
  ravdess_reference.py  the non-deep reference row on the same folds (log-mel statistics,
                    logistic regression)
  paper_tables.py   the published numbers those comparisons quote
  crossval_runs.py  cross-validation runs (python -m mrpn_tf.crossval), crossval_tables.py
                    the paper's Tables 1-3 from them
  runs.py           the one run orchestrator the studies share: run_config, skip-if-done run_all
"""
