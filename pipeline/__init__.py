"""beian: collect, check and consolidate Hunan maker-space (众创空间) filing forms."""

__version__ = "0.1.0"
