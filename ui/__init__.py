"""The Streamlit app: renders what ``assistant`` returns."""
