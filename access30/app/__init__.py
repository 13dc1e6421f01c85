"""The Streamlit app's helpers (``app.py`` at the repository root is the page).

The app is a shell like the command line: widgets wired to the core. What makes it answer in
under a second lives here:

* :mod:`~access30.app.shared`: one study, routing and current-situation result per input set,
  shared by every session and bounded (``st.cache_resource``);
* :mod:`~access30.app.scenarios`: each planner's scenarios, only their own changes, in the session;
* :mod:`~access30.app.uploads`: uploaded files read once, hashed and written once;
* :mod:`~access30.app.mapview`: the map drawn once, then updated layer by layer;
* :mod:`~access30.app.jobs`: background work (exports, suggestions, the other travel mode) that
  never blocks the page;
* :mod:`~access30.app.exports` and :mod:`~access30.app.suggestions`: the files and location models
  the page offers, run as jobs.
"""
