"""Looking at renders without making new ones: verify a receipt, diff two EDLs, the contact sheet."""
