"""The app's resources (icons, the demo model, the tour's example models), shipped as the package explorer._resources.

Data only: code finds these files through explorer.resources, never by a path of its own.
"""
