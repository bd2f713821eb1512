// Lets a library with no sources yet still be a valid static library.
