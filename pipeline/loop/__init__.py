"""The review loop: roll a review forward, and check one review against the previous."""

from .compare import ReviewChanges, compare_reviews
from .rollforward import NextReview, next_review_id, roll_forward

__all__ = ["NextReview", "ReviewChanges", "compare_reviews", "next_review_id", "roll_forward"]
