"""Rollups to chart editions: the weekly global and country lists, the edition writer with
its revisions, streaks and weeks in the Top 10, lists over any window, and specialty filters."""
