from typing import Dict

__version__: str

def error_codes() -> Dict[int, str]:
    """The library's error codes and their descriptions (code -> text)."""
