#!/usr/bin/env python3
"""A new learner's first visit, in a real headless Chromium: home page, sign up,
catalogue, course, then the whole first lesson in the chat tutor (a wrong answer, a hint,
a right answer, a free question, every task), the mastery shown, a redaction task with the
word selector, and log-out. Each step checks what the page shows and saves a screenshot
(at phone and laptop widths) for a person to look at.

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


def latest(driver):
    """The text of the newest message in the chat."""
    return driver.find_elements(By.CSS_SELECTOR, "#chat > li")[-1].text


def send(driver, action):
    """Submits a chat form (through fetch and server-sent events) and waits for the reply."""
    count = len(driver.find_elements(By.CSS_SELECTOR, "#chat > li"))
    action()
    try:
        WebDriverWait(driver, 15).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chat > li")) > count
            and d.find_element(By.ID, "chat").get_attribute("aria-busy") is None
        )
    except TimeoutException:
        error = driver.find_element(By.ID, "chat-error").text
        check(False, f"the tutor replied (error shown: {error!r})")


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
    check(driver.find_elements(By.CSS_SELECTOR, "#chat li.msg.tutor.kind-passage"), "the tutor opens with the first section of the lesson")
    check(len(driver.find_elements(By.CSS_SELECTOR, ".prose")) >= 1, "the lesson text is rendered from Markdown")
    lesson_url = driver.current_url

    print("learn the first lesson in the chat")
    first_task = None
    wrong_seen = hint_seen = right_seen = False
    for _ in range(40):
        last = driver.find_elements(By.CSS_SELECTOR, "#chat > li")[-1]
        text = last.text
        if "You've finished" in text:
            break
        widget = last.find_elements(By.CSS_SELECTOR, "form.widget")
        if widget and last.get_attribute("class").find("task") >= 0:
            form = widget[0]
            kind = form.get_attribute("class")
            if first_task is None and "single_choice" in kind:
                first_task = True
                shot(driver, "05-chat-task")
                options = form.find_elements(By.CSS_SELECTOR, "button.option")
                for index in range(len(options)):
                    task_form = driver.find_elements(By.CSS_SELECTOR, "#chat form.widget.single_choice")[0]
                    send(driver, lambda: task_form.find_elements(By.CSS_SELECTOR, "button.option")[index].click())
                    reply = latest(driver)
                    if "Why this works" in reply:
                        right_seen = True
                        check("Right first time." in reply or "That's it." in reply, "a right answer is confirmed")
                        shot(driver, "07-chat-right")
                        break
                    if not wrong_seen:
                        wrong_seen = True
                        check("Not yet." in reply, "a wrong answer is marked not yet")
                        check("You chose" in reply, "the reply names the option the learner chose")
                        check("Why this works" not in reply, "the explanation waits for a right answer")
                        shot(driver, "06-chat-wrong")
                        send(driver, lambda: driver.find_elements(By.CSS_SELECTOR, "#chat form.widget.single_choice button[value=hint]")[0].click())
                        hint = latest(driver)
                        hint_seen = "Hint 1 of" in hint
                        check(hint_seen, "a hint is given on request, labelled as the first of several")
                check(wrong_seen and hint_seen and right_seen, "one wrong answer, a hint and a right answer on the first check")
            elif "numeric" in kind:
                form.find_element(By.CSS_SELECTOR, "input[name=number]").send_keys("1")
                send(driver, lambda: form.find_element(By.CSS_SELECTOR, "button[value=answer]").click())
                check("You gave" in latest(driver), "a numeric answer is echoed with how it is off")
            elif "multiple_choice" in kind:
                form.find_elements(By.CSS_SELECTOR, "input[type=checkbox]")[0].click()
                send(driver, lambda: form.find_element(By.CSS_SELECTOR, "button[value=answer]").click())
            else:
                answer = form.find_elements(By.CSS_SELECTOR, "button[value=answer]")
                if "short_text" in kind or "prompt_writing" in kind:
                    form.find_element(By.CSS_SELECTOR, "textarea").send_keys("A first try at the task for my manager, in 3 bullet points.")
                elif "critique" in kind or "redaction" in kind:
                    form.find_elements(By.CSS_SELECTOR, ".tokens label")[0].click()
                elif "matching" in kind:
                    for select in form.find_elements(By.CSS_SELECTOR, "select"):
                        select.find_elements(By.TAG_NAME, "option")[1].click()
                send(driver, lambda: answer[0].click())
            continue
        send(driver, lambda: driver.find_element(By.CSS_SELECTOR, ".composer form.continue button").click())
    final = latest(driver)
    check("You've finished" in final, "the tutor says the lesson is finished")
    check("Next:" in final, "and suggests the next step")
    shot(driver, "08-chat-finished")

    print("ask the tutor")
    driver.find_element(By.ID, "question").send_keys("Why do language models make things up?")
    send(driver, lambda: driver.find_element(By.CSS_SELECTOR, ".composer form.ask button").click())
    reply = latest(driver)
    check("what the course says" in reply, "a question is answered from the course text")
    check(driver.find_elements(By.CSS_SELECTOR, "#chat > li:last-child a[href*='/text#']"), "the answer links to the lesson section it quotes")
    driver.find_element(By.ID, "question").send_keys("How do I bake sourdough bread?")
    send(driver, lambda: driver.find_element(By.CSS_SELECTOR, ".composer form.ask button").click())
    check("doesn't cover" in latest(driver), "an off-topic question is answered plainly: not covered")
    print("a reply cut off mid-stream is resumed")
    # The next reply's stream is cut after its first event, as a dropped connection or a
    # node going away would; the page must fetch the rest from /chat/events.
    driver.execute_script("""
        window.__resumes = [];
        var original = window.fetch;
        window.fetch = async function (url, options) {
          if (options && options.method === "POST") {
            window.fetch = function (url, options) {
              window.__resumes.push(options && options.headers ? options.headers["Last-Event-ID"] : null);
              window.fetch = original;
              return original(url, options);
            };
            var response = await original(url, options);
            var text = await response.text();
            return new Response(text.slice(0, text.indexOf("\\n\\n") + 2), { status: response.status, headers: response.headers });
          }
          return original(url, options);
        };
    """)
    before = len(driver.find_elements(By.CSS_SELECTOR, "#chat > li"))
    driver.find_element(By.ID, "question").send_keys("What is a token?")
    send(driver, lambda: driver.find_element(By.CSS_SELECTOR, ".composer form.ask button").click())
    WebDriverWait(driver, 10).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chat > li")) >= before + 2)
    resumes = driver.execute_script("return window.__resumes")
    check(len(resumes) == 1 and resumes[0] is not None, f"the page asked for the rest of the reply once ({resumes})")
    check(not driver.find_element(By.ID, "chat-error").is_displayed(), "no error is shown when a reply is resumed")
    seqs = [li.get_attribute("data-seq") for li in driver.find_elements(By.CSS_SELECTOR, "#chat > li")]
    check(len(seqs) == len(set(seqs)) and len(seqs) == before + 2, "the question and the tutor's answer each appear once")
    check("what the course says" in latest(driver) or "doesn't cover" in latest(driver), "the resumed answer is the tutor's reply")
    percent = int(driver.find_elements(By.CSS_SELECTOR, ".mastery meter")[0].get_attribute("value"))
    check(percent > 20, f"mastery shown beside the chat has risen from the 20% prior ({percent}%)")
    shot(driver, "09-chat-question")

    print("resume: the conversation is kept")
    driver.get(lesson_url)
    check("You've finished" in driver.page_source, "reloading the lesson shows the same conversation")

    driver.get(BASE + "/courses/ai-foundations")
    check("You have completed 1 of" in driver.page_source, "the course page shows progress")
    check("Your mastery" in driver.page_source and driver.find_elements(By.CSS_SELECTOR, ".mastery meter"), "the course page shows mastery per skill")
    shot(driver, "10-course-mastery")

    print("switch mode, then a redaction task with the word selector")
    driver.get(BASE + "/courses/ai-foundations/lessons/protecting-personal-and-confidential-data")
    driver.find_element(By.ID, "mode").find_element(By.CSS_SELECTOR, "option[value=read_first]").click()
    send(driver, lambda: driver.find_element(By.CSS_SELECTOR, "form.mode button").click())
    check("Switched to Read first" in driver.find_element(By.ID, "chat").text, "the tutor confirms the mode switch")
    check(len(driver.find_elements(By.CSS_SELECTOR, "#chat li.kind-passage")) >= 4, "read-first mode delivers the whole lesson text at once")
    driver.get(BASE + "/courses/ai-foundations/lessons/protecting-personal-and-confidential-data?practise=resp-hr-email-redaction")
    redaction = driver.find_elements(By.CSS_SELECTOR, "#chat form.widget.redaction")
    check(redaction, "a practise link sets the redaction task again")
    if redaction:
        form = redaction[-1]
        for label in form.find_elements(By.CSS_SELECTOR, ".tokens label"):
            if label.text.strip(",.") in ("k.adeyemi@example.org", "Kemi", "Adeyemi,", "Adeyemi"):
                label.click()
        shot(driver, "11-redaction-marked")
        send(driver, lambda: form.find_element(By.CSS_SELECTOR, "button[value=answer]").click())
        reply = latest(driver)
        check("You found 2 of the 8 pieces of personal data" in reply, "span feedback counts what was found")
        check("Still to find" in reply and "a phone number" in reply, "and names the kinds still to find without revealing them")
        shot(driver, "12-redaction-feedback")

    print("log out")
    click_and_wait(driver, By.CSS_SELECTOR, "form[action='/logout'] button")
    check("Log in" in driver.page_source, "after log-out the header offers log-in")
finally:
    driver.quit()

print(f"browser journey checks: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
