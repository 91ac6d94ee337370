"""The management CLI, one module a noun (`wl`, `plans`, `numbers`, `customers`, `temporal`,
`db`, `api`, `dev`); `main` builds the parser from them."""
