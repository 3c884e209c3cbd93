"""The Streamlit shell: pages in `views/`, shared state in `state.py`. No logic lives here."""
