"""Placeholder router (being written)."""
from fastapi import APIRouter


def router(ctx) -> APIRouter:
    return APIRouter()
