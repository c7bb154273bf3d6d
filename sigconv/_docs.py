"""Shared parameter descriptions, written once and filled into several docstrings."""


def fill_docstrings(objects, **blocks):
    """Replace ``{name}`` in the docstrings of ``objects`` by ``blocks[name]``.

    Docstrings are None under ``python -OO``; those are left alone.
    """
    for obj in objects:
        if obj.__doc__:
            text = obj.__doc__
            for name, block in blocks.items():
                text = text.replace("{" + name + "}", block)
            obj.__doc__ = text
