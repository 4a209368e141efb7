"""What ran a benchmark: the machine and the versions behind its figures (imported by the benchmarks beside it)."""
import os, platform
from datetime import datetime, timezone


def machine(**extra) -> dict:
    "The platform, processor, cores, Python and the numeric libraries' versions, the date (UTC), and `extra`."
    import jax, numpy, pandas, sklearn
    import lepton_nb
    return dict(platform=platform.platform(), processor=platform.processor() or platform.machine(),
                cpu_count=os.cpu_count(), python=platform.python_version(), jax=jax.__version__,
                jax_backend=jax.default_backend(), scikit_learn=sklearn.__version__, numpy=numpy.__version__,
                pandas=pandas.__version__, lepton_nb=lepton_nb.__version__,
                date=datetime.now(timezone.utc).isoformat(timespec="seconds"), **extra)
