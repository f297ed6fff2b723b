"""One module per wire protocol; vendor JSON never leaves this package."""
