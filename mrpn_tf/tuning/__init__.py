"""Hyperparameter search over the run config with KerasTuner (`python -m mrpn_tf.tune`).

    run_file.py       a run file's `tune:` section and its base config
    search_space.py   hyperparameters named by config keys; the default space; aliases
    hypermodel.py     hp -> config -> the normal model builder and the trainer's fit
    objective.py      val_va_accuracy on the fold's held-out actors (mean over folds)
    tuner_factory.py  random / bayesian / hyperband tuners in the training strategy
    tuner_folder.py   the tuner folder: search.json, resume guard
    results_table.py  the Markdown results table
    best_config.py    the best configuration as a pipelines/ run file
    distributed.py    a search over a chief and workers (KerasTuner's KERASTUNER_* mode)
    search.py         one search, start to end
"""
