"""ganetisim: a stand-alone simulator of Ganeti's RAPI v2, for ganetimgr's demo, tests and benchmarks.

Run `python -m ganetisim --help`. Imports nothing from Django or ganetimgr.
"""
