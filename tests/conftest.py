import matplotlib

# Headless plotting for the unit tests. Not through the MPLBACKEND variable: that would leak into the
# kernels nbval starts from this same pytest run and change how the notebooks display their figures.
matplotlib.use("Agg")
