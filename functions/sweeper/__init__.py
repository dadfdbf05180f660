"""The sweeper: releases holds whose request never settled (a crashed function), on a schedule."""
