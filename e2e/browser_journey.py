#!/usr/bin/env python3
"""A new learner's first visit, in a real headless Chromium: home page, sign up,
catalogue, course, first lesson, mark it complete. Each step checks what the page
shows and saves a screenshot (at phone and laptop widths) for a person to look at.

Usage: browser_journey.py BASE_URL SCREENSHOT_DIR
Needs Debian's chromium, chromium-driver and python3-selenium (scripts/test installs them).
"""
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.support.ui import WebDriverWait

BASE, SHOTS = sys.argv[1].rstrip("/"), sys.argv[2]
os.makedirs(SHOTS, exist_ok=True)
passed, failed = 0, 0


def check(condition, what):
    global passed, failed
    if condition:
        passed += 1
        print(f"  ok   {what}")
    else:
        failed += 1
        print(f"  FAIL {what}")


def click_and_wait(driver, by, value):
    """Clicks a link or button and waits until the browser has loaded the page it leads to."""
    before = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(by, value).click()
    try:
        WebDriverWait(driver, 15).until(lambda d: _is_stale(before) and d.execute_script("return document.readyState") == "complete")
    except TimeoutException:
        print(f"  (no new page after clicking {value})")


def _is_stale(element):
    try:
        element.is_enabled()
        return False
    except Exception:
        return True


def shot(driver, name):
    for label, width in (("laptop", 1280), ("phone", 390)):
        driver.set_window_size(width, 900)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(max(height, 600), 4000))
        path = os.path.join(SHOTS, f"{name}-{label}.png")
        driver.save_screenshot(path)
        check(os.path.getsize(path) > 10_000, f"screenshot {name}-{label}.png has content")
        # On a phone nothing may be wider than the screen.
        overflow = driver.execute_script("return document.documentElement.scrollWidth > window.innerWidth + 1")
        if label == "phone":
            check(not overflow, f"{name} fits a phone screen without sideways scrolling")
    driver.set_window_size(1280, 900)


options = webdriver.ChromeOptions()
for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900"):
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_page_load_timeout(30)
try:
    print("home page")
    driver.get(BASE + "/")
    check("Cairn" in driver.title, "title names Cairn")
    check("AI Foundations" in driver.page_source, "home lists AI Foundations")
    shot(driver, "01-home")

    print("sign up")
    click_and_wait(driver, By.LINK_TEXT, "Sign up")
    shot(driver, "02-signup")
    email = f"browser-{int(time.time() * 1000)}@example.org"
    driver.find_element(By.ID, "name").send_keys("Robin Browser")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys("a browser password")
    click_and_wait(driver, By.CSS_SELECTOR, "form button[type=submit]")
    check(driver.current_url.endswith("/courses"), "after sign-up the catalogue opens")
    check("Robin Browser" in driver.page_source, "the header shows who is signed in")
    shot(driver, "03-catalogue")

    print("course and first lesson")
    click_and_wait(driver, By.LINK_TEXT, "AI Foundations")
    check("Modules" in driver.page_source, "the course page lists modules")
    modules = driver.find_elements(By.CSS_SELECTOR, "li.module")
    planned = driver.find_elements(By.CSS_SELECTOR, "li.module.planned")
    check(all("coming soon" in m.text.lower() for m in planned), f"modules not yet written say so ({len(planned)} of {len(modules)})")
    check(all(m.find_elements(By.CSS_SELECTOR, "ul.lessons a") for m in modules if m not in planned), "every written module links its lessons")
    shot(driver, "04-course")
    click_and_wait(driver, By.CSS_SELECTOR, "form[action$='/enrol'] button")
    check("/lessons/" in driver.current_url, "starting the course opens its first lesson")
    interactions = driver.find_elements(By.CSS_SELECTOR, "section.interaction")
    check(len(interactions) >= 3, f"the lesson shows its checks and tasks ({len(interactions)})")
    check(len(driver.find_elements(By.CSS_SELECTOR, ".prose h2")) >= 2, "the lesson text is rendered from Markdown")
    shot(driver, "05-lesson")

    print("complete the lesson")
    first_lesson = driver.current_url
    click_and_wait(driver, By.CSS_SELECTOR, ".lesson-end form button")
    check(driver.current_url != first_lesson and "/lessons/" in driver.current_url, "completing a lesson opens the next")
    driver.get(BASE + "/courses/ai-foundations")
    check("You have completed 1 of" in driver.page_source, "the course page shows progress")

    print("log out")
    click_and_wait(driver, By.CSS_SELECTOR, "form[action='/logout'] button")
    check("Log in" in driver.page_source, "after log-out the header offers log-in")
finally:
    driver.quit()

print(f"browser journey checks: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
