"""Streamlit custom components of qualcode (components v2: inline JS and CSS, no iframe, no build)."""
