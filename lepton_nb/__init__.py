__version__ = "0.1.0"

import os as _os

# scikit-learn's boosted trees run on OpenMP threads that spin while they wait. On a machine whose cores are busy with
# other work, the spinning threads starve each other: predicting 200 rows with 134 trees took 1.6 s instead of 0.13 s.
# Passive waiting (set before scikit-learn loads OpenMP; a value the user set is kept) avoids it at no cost when idle.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
