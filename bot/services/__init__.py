"""The rules of Coproduce. Nothing here imports aiogram: dialogs call in, storage is called out."""
