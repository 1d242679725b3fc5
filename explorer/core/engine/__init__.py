"""The engine: a child process that owns TensorFlow and the loaded models for the window (Jupyter's kernels and
browsers' renderer processes are the pattern). Qt-free; the window starts it through explorer.ui.workers.

- frames.py: messages over a socket pair; numpy arrays cross as out-of-band buffers (pickle protocol 5), never as
  pickled lists.
- process.py: the child's loop (`python -m explorer.core.engine.process FD`): runs any core callable by name,
  holds objects (runners) by handle and calls their methods.
- client.py: Engine (start, call, stop, kill, crash detection) and EngineRunner, a Runner whose model lives in the
  engine. Why a subprocess and not multiprocessing: see docs/ARCHITECTURE.md, "The engine process".
"""
