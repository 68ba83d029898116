"""Online learners for huge sparse data: FTRL-Proximal and l1-RDA, as
scikit-learn-style estimators (binary and multi-class one-vs-rest
classifiers, a regressor) that also speak river's protocol (learn_one,
predict_one, predict_proba_one on feature dicts hashed as Vowpal Wabbit
hashes them) and report progressive logloss and AUC.  See
FTRLClassifier, FTRLRegressor, RDAClassifier; `load` reads a model written
by `save` or `fastopt train`."""
from fastopt.online._base import NotFittedError, load, load_info
from fastopt.online.estimators import FTRLClassifier, FTRLRegressor, RDAClassifier

__all__ = ["FTRLClassifier", "FTRLRegressor", "RDAClassifier", "load", "load_info", "NotFittedError"]
